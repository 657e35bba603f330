import json
S="Sundheia Health Tech Cluster"; K="Kinzigtal LifeScience e.V."; H="Havgry Energy Cluster"; P="Pilica Digital Cluster"
B="Birsfeld MedTech Cluster"; G="Clúster Agroalimentario Guadalvera"; O="Otava AgriFood Cluster"; W="Solway Marine Cluster"; Z="Zagyva Smart Energy Cluster"
AR="sundheia_annual_report_2024.pdf"; KPI="sundheia_kpi_scorecard_2024.md"; KJ="kinzigtal_jahresbericht_2024.pdf"; BM="peer_benchmark_2023_five_clusters.pdf"
PF="pilica_membership_fees_2024_2025.docx"; PE="pilica_engagement_review_2024.md"; HG="havgry_general_assembly_minutes_2025.docx"; HS="havgry_strategy_2025-2028_slides.md"
WL="solway_lessons_learned_2024.docx"; WP="solway_services_price_list_2025.html"; BI="birsfeld_interview_managing_director.txt"; GM="guadalvera_memoria_anual_2024.html"
OV="otava_study_visit_guadalvera_2024-10.txt"; OS="otava_annual_summary_2024.md"; ZM="zagyva_board_minutes_2024-12.txt"; NL="cluster_ledger_newsletter_spring_2025.html"
Q=[]
def q(key,kind,text,src,facts,orgs,follows=None):
    Q.append(dict(key=key,kind=kind,question=text,expected_sources=src,key_facts=facts,organisations=orgs,follows=follows))
# ---- fact
q("f1","fact","sundheia members end of 2024?",[AR,KPI,NL],["112"],[S])
q("f2","fact","What membership target has Sundheia set for 2027?",[AR,KPI],["150"],[S])
q("f3","fact","headcount at the Sundheia office? how many FTE",[AR],["6.5"],[S])
q("f4","fact","Who runs Sundheia Health Tech Cluster (managing director)?",[AR,KPI,NL],["Ingrid Haldorsen"],[S])
q("f5","fact","when does sundheias arena funding run out",[AR,NL],["June 2025"],[S])
q("f6","fact","kinzigtal mitglieder 2024?",[KJ,NL],["71"],[K])
q("f7","fact","Wie hoch ist der Mitgliedsbeitrag für KMU bei Kinzigtal LifeScience?",[KJ],["1.800"],[K])
q("f8","fact","How many hours were booked on the Kinzigtal lab-sharing exchange last year?",[KJ,NL],["240"],[K])
q("f9","fact","kinzigtal brokerage fee on lab sharing bookings, what %?",[KJ,NL],["8 %|8%"],[K])
q("f10","fact","Havgry deficit 2024?",[HG],["212,000"],[H])
q("f11","fact","Who was newly elected to the Havgry board at the 2025 general assembly?",[HG],["Sofie Lund"],[H])
q("f12","fact","What will an SME pay for Havgry membership in 2026?",[HG],["13,000"],[H])
q("f13","fact","how many members did havgry have at the time of the march 2025 assembly",[HG],["64"],[H])
q("f14","fact","pilica entry fee in 2025?",[PF],["500","abolished"],[P])
q("f15","fact","Pilica Digital Cluster churn rate 2024",[PE],["7%"],[P])
q("f16","fact","How much did the Pilica Hack hackathon cost?",[PE],["62,000"],[P])
q("f17","fact","birsfeld medtech budget 2024?",[BI],["1.9 million"],[B])
q("f18","fact","team size at Birsfeld MedTech Cluster?",[BI],["5.4"],[B])
q("f19","fact","What does a day in Birsfeld's MDR Clinic cost a non-member?",[BI],["2,800"],[B])
q("f20","fact","Quante aziende hanno usato la MDR Clinic di Birsfeld nel 2024?",[BI],["31"],[B])
q("f21","fact","¿Cuántos socios tiene el Clúster Agroalimentario Guadalvera?",[GM,NL],["146"],[G])
q("f22","fact","guadalvera presupuesto 2025",[GM],["1.350.000"],[G])
q("f23","fact","Who is the manager (gerente) of the Guadalvera agrifood cluster?",[GM,OV],["Lucía Montoro|Montoro Ibáñez"],[G])
q("f24","fact","Otava AgriFood membrship fee for SMEs?",[OS,OV],["12,000"],[O])
q("f25","fact","What did Otava's study trip to Spain cost in total?",[OV],["86,400"],[O])
q("f26","fact","Quel est le budget 2025 du cluster Zagyva ?",[ZM,NL],["148 million"],[Z])
q("f27","fact","When does Zagyva's Accredited Innovation Cluster title expire?",[ZM],["June 2025"],[Z])
q("f28","fact","What share of private income does Zagyva need to renew its accreditation, and what did it have in 2024?",[ZM],["30%","27%"],[Z])
q("f29","fact","solway marine cluster number of members 2024",[WL,NL],["94"],[W])
q("f30","fact","How much does Solway charge members for a funding bid review?",[WP],["450"],[W])
q("f31","fact","What did Solway's online member portal cost to build?",[WL,NL],["38,500"],[W])
q("f32","fact","date of the zagyva energy day 2025?",[ZM,NL],["5 June"],[Z])
q("f33","fact","Who prepared the five-cluster peer benchmark for 2023?",[BM],["Northbridge"],[])
# ---- table
q("t1","table","Sundheia paid services revenue 2022, 2023 and 2024?",[AR],["980","1,310","1,765"],[S])
q("t2","table","sundheia public + EU project funding 2023 (NOK)",[AR],["4,870"],[S])
q("t3","table","What was Sundheia's total turnover in 2022?",[AR],["8,830"],[S])
q("t4","table","How many start-up members did Sundheia have in 2023?",[AR],["27"],[S])
q("t5","table","Kinzigtal Einnahmen aus Mitgliedsbeiträgen 2023?",[KJ],["148.500"],[K])
q("t6","table","kinzigtal EU project revnue 2024",[KJ],["142.800"],[K])
q("t7","table","Pilica fee for a medium-sized company in 2025?",[PF],["10,500"],[P])
q("t8","table","pilica subscription large company 2024 vs 2025",[PF],["24,000","26,400"],[P])
q("t9","table","What does a university pay Pilica Digital Cluster per year?",[PF],["3,000"],[P])
q("t10","table","Guadalvera ingresos por servicios 2023",[GM],["189.500"],[G])
q("t11","table","How much sponsorship income did Guadalvera have in 2024?",[GM],["115.600"],[G])
q("t12","table","Havgry paid services income 2023 and 2024?",[HG],["720,000","980,000"],[H])
q("t13","table","otava interreg / EU project income 2024 CZK",[OS],["2,950,000"],[O])
q("t14","table","In the peer benchmark, how many members per FTE does Kinzigtal have?",[BM],["19.7"],[K])
q("t15","table","Sundheia KPI scorecard: EU proposals target vs actual 2024",[KPI],["6","4","RED"],[S])
q("t16","table","solway export mission place price for non-members",[WP],["1,950"],[W])
q("t17","table","What was Sundheia's member NPS in 2024 against its target?",[KPI],["+27","+30"],[S])
# ---- practice
q("p1","practice","How did Pilica get its members active again? What did they change and did it work?",[PE],["Demo Fridays","buddy","57%"],[P])
q("p2","practice","what went wrong with pilica's hackathon and what did it cost",[PE],["62,000","11 participants"],[P])
q("p3","practice","What is Clinic Match at Sundheia and what has it produced?",[AR,NL],["clinicians","9 pilot"],[S])
q("p4","practice","How do Guadalvera's buyer tables (mesas de compra) work and what do they deliver?",[GM,OV],["15 minutos|15-minute","74"],[G])
q("p5","practice","What happened with Solway's Tideline Partner sponsorship package?",[WL,NL],["14,000","50,000"],[W])
q("p6","practice","solway member portal - what happend and what did it cost?",[WL,NL],["23%","38,500"],[W])
q("p7","practice","What did Birsfeld learn from its online matchmaking platform?",[BI],["85,000","18 months"],[B])
q("p8","practice","How does Birsfeld MedTech keep its members engaged?",[BI],["Supplier Days","212"],[B])
q("p9","practice","Was ist die Labor-Sharing-Börse bei Kinzigtal und wie gut läuft sie?",[KJ,NL],["19","240"],[K])
q("p10","practice","What went wrong for Guadalvera at Fruit Logistica and how much did they lose?",[GM],["18.700","96.000"],[G])
q("p11","practice","Which practice is Otava copying from Guadalvera and with what budget?",[OV,OS,NL],["450,000","pre-screen"],[O,G])
q("p12","practice","Havgry's failed Horizon Europe proposal - what did the preparation cost them?",[HG],["260,000"],[H])
q("p13","practice","What's Solway's best tool for member engagement and how many members take part?",[WL,NL],["Harbour Walks","70%"],[W])
q("p14","practice","How did the Zagyva Energy Day 2024 go and why?",[ZM],["160","250"],[Z])
q("p15","practice","Kinzigtal regulatory office hours - how does it work and what do they charge?",[KJ],["38","95 €"],[K])
q("p16","practice","How does Havgry plan to become less dependent on EU project money?",[HS],["18,000","50%"],[H])
q("p17","practice","Why did Pilica make the first year free for start-ups?",[PF],["0 in the first year|first year free","price"],[P])
# ---- comparison
q("c1","comparison","Compare the SME membership fee at Kinzigtal, Guadalvera and Birsfeld.",[KJ,GM,BI],["1.800","1.200","2,400"],[K,G,B])
q("c2","comparison","sundheia vs kinzigtal member growth 2023 -> 2024",[AR,KJ],["97","112","63","71"],[S,K])
q("c3","comparison","How is Sundheia's Clinic Match different from Birsfeld's Supplier Days?",[AR,BI],["clinicians","212","14"],[S,B])
q("c4","comparison","In the 2023 benchmark, who relies more on membership fees, Pilica or Havgry?",[BM],["34%","21%"],[P,H])
q("c5","comparison","Solway portal vs Pilica hackathon: which flop cost more, in their own currency?",[WL,PE],["38,500","62,000"],[W,P])
q("c6","comparison","Total income 2024: Guadalvera vs Kinzigtal?",[GM,KJ],["1.284.600","677.800|677,800"],[G,K])
q("c7","comparison","Havgry and Zagyva: current members and membership targets side by side please",[HG,HS,ZM],["58|64","80","41","60"],[H,Z])
q("c8","comparison","team size otava vs guadalvera",[OS,OV,GM],["2.6|3 staff","8,5|9 staff|9 personas"],[O,G])
q("c9","comparison","Sundheia vs Birsfeld NPS?",[KPI],["+27","+41"],[S,B])
q("c10","comparison","Fee increases: how much is Havgry raising fees for 2026 compared with Pilica for 2025?",[HG,PF],["8%","9-11%"],[H,P])
q("c11","comparison","Self-financing share 2024: Sundheia vs Havgry",[AR,HS],["56.1%","42%"],[S,H])
q("c12","comparison","Member satisfaction in the benchmark: Kinzigtal versus Birsfeld?",[BM],["8.2","8.4"],[K,B])
# ---- aggregation
q("a1","aggregation","Which of the five benchmarked clusters had the most members in 2023?",[BM],["Pilica","171"],[P])
q("a2","aggregation","In the peer benchmark, which cluster depends most on public funding?",[BM],["Kinzigtal","66%"],[K])
q("a3","aggregation","lowest member satisfaction in the benchmark?",[BM],["Havgry","7.1"],[H])
q("a4","aggregation","Which benchmark cluster had the largest income in 2023?",[BM],["Birsfeld","1,880"],[B])
q("a5","aggregation","Which benchmark cluster has the fewest members per FTE?",[BM],["Havgry","8.5"],[H])
q("a6","aggregation","Of the clusters featured in the Cluster Ledger spring newsletter, which one has the most members?",[NL,GM],["Guadalvera","146"],[G])
q("a7","aggregation","Across all the documents, which cluster had the largest membership at the end of 2024?",[PF,PE],["Pilica","187"],[P])
q("a8","aggregation","who runs the most events per year among the benchmarked clusters",[BM],["Pilica","31"],[P])
q("a9","aggregation","Which cluster gets the highest share of its income from membership fees?",[BM,BI],["Birsfeld","45%|46%"],[B])
# ---- followup
q("u_fu1","followup","and in 2022?",[AR],["84"],[S],"f1")
q("u_fu2","followup","und das Ziel?",[KJ],["90"],[K],"f6")
q("u_fu3","followup","and the result in 2023?",[HG],["96,000"],[H],"f10")
q("u_fu4","followup","and for a small company?",[PF],["4,600"],[P],"t7")
q("u_fu5","followup","what was it in 2024?",[PF],["4,200"],[P],"u_fu4")
q("u_fu6","followup","what share of that comes from membership fees?",[BI],["46%"],[B],"f17")
q("u_fu7","followup","¿y el objetivo?",[GM,NL],["200"],[G],"f21")
q("u_fu8","followup","what did they do instead in 2024?",[WL],["27,500"],[W],"p5")
q("u_fu9","followup","how much of that from projects?",[ZM],["96 million"],[Z],"f26")
q("u_fu10","followup","what about sundheia?",[AR],["1,310","1,765"],[S],"t12")
q("u_fu11","followup","and the fewest?",[BM],["Havgry","55"],[H],"a1")
q("u_fu12","followup","what did they do with that budget afterwards?",[PE],["Demo Fridays"],[P],"p2")
q("u_fu13","followup","and for large companies?",[OS],["30,000"],[O],"f24")
# ---- unanswerable
U=["What do start-ups pay for membership at Zagyva Smart Energy Cluster?",
"otava surplus or deficit 2024?",
"How many staff does Solway Marine Cluster employ?",
"What was Birsfeld's membership fee income in 2022?",
"Sundheia total income 2021?",
"How many members does Oslo Cancer Cluster have?",
"What is the annual membership fee at Lyonbiopole for an SME?",
"Foodvalley NL budget 2024 and income mix?",
"Silicon Saxony Mitgliederzahl 2024?",
"¿Cuánto cobra el Clúster de Energía del País Vasco de cuota anual a una pyme?",
"What share of Life Science Nord's income comes from public funding?",
"How much does Kinzigtal pay its Interreg project manager?",
"In what year was the Guadalvera cluster founded?",
"How many Harbour Walks did Havgry Energy Cluster organise in 2024?",
"Pôle Mer Bretagne Atlantique : combien d'adhérents en 2024 ?",
"What was Zagyva's total income in 2023?"]
for i,t in enumerate(U): q("un%d"%i,"unanswerable",t,[],[],[])
# assign ids
base=[x for x in Q if x["kind"]!="followup"]
fus=[x for x in Q if x["kind"]=="followup"]
order=list(base)
pending=list(fus)
while pending:
    for x in list(pending):
        keys=[y["key"] for y in order]
        if x["follows"] in keys:
            pos=keys.index(x["follows"])
            # skip past followups already attached to the same parent chain
            order.insert(pos+1,x); pending.remove(x)
ids={}
for n,x in enumerate(order,1): ids[x["key"]]="i-%03d"%n
with open("/work/main/eval/blind-i/questions.jsonl","w",encoding="utf-8") as f:
    for x in order:
        d=dict(id=ids[x["key"]],kind=x["kind"],question=x["question"],expected_sources=x["expected_sources"],
               key_facts=x["key_facts"],organisations=x["organisations"],follows=ids[x["follows"]] if x["follows"] else None)
        f.write(json.dumps(d,ensure_ascii=False)+"\n")
print(len(order))
